# threads.rb — Ruby threads, run under the shim by tests/integration/shim_runtimes.sh.
# Each new Ruby thread calls pthread_getattr_np before its first allocation: a shim that
# asked pthread_getattr_np for stack bounds hung in it.
workers = (0...4).map do |k|
  Thread.new(k) do |id|
    words = (0...(1000 * (id + 1))).map { |i| (i % 10).to_s }
    [id, words.join.each_char.sum(&:to_i)]
  end
end
workers.map(&:value).sort.each { |id, sum| puts "worker #{id} summed #{sum}" }
